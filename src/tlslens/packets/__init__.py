"""tlslens.packets"""
